"""The demo world behind `manage.py seed_demo`: not part of the product.

- `reference.py`: organisations, the 15 demo accounts, schools (idempotent by natural key).
- `scaled.py`: the case world, generated with the product's rule functions; bulk-written when
  large, built through the services (`replay.py`) when small.
- `rows.py`: one named row type per table and the COPY/executemany sink.
- `replay.py`: the small world's rows replayed through the product's services instead.
- `checks.py`: replays a sample of written cases through the rule functions.

The product never imports this package.
"""
