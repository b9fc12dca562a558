"""Ring 0: attribute, event and value names of every convention we read or write.

Only the standard library is imported here. Every other module takes its names from
these constants, so a convention's vocabulary lives in exactly one file.
"""
