"""The basics every part of the package uses: the clock, ids, the domain errors, who is asking. Imports nothing
else of hourbank.
"""
