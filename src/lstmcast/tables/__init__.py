"""Tables: reading files, time, column roles, scaling, windows, splits and streaming.

The lowest layer of lstmcast: no torch is imported here, so the command line's
checks and the service's parsing stay light. ``pipeline.TablePipeline`` ties
them together: a table in, the network's scaled windows out, and back.
"""
