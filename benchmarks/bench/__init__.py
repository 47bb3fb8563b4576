"""`make bench`: the case list and friends under production settings, with real login and MFA.

See benchmarks/bench/__main__.py for what it does and benchmarks/results/ for its tables.
"""
