import sys

from lstmcast.cli import main

sys.exit(main())
