"""The daily digest for PR leads: what happened per brand, how fast replies came, when coverage is thin."""
