"""What the commands leave on disk and how they guard what is there.

- ``folders``: run folders (written whole, or resumed from their partial folder),
  their TOML config, and the data sources the commands know by name;
- ``outputs``: the one guard over what each command reads and writes (``Access``,
  ``OutputGuard``), and the formats of the tables they write.

Used by the command line (``lstmcast.cli``), the service (``lstmcast.serve``) and the
search's run folder (``lstmcast.cli.tune``); no torch is imported here.
"""
