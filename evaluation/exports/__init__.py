"""Pseudonymised research exports: datasets, file writers, the codebook and the export service.

- `pseudonyms`: keyed HMAC-SHA256 pseudonyms per study.
- `datasets`: the three datasets (cases, contacts, survey responses) as variables and row chunks.
- `writers`: CSV, XLSX and SPSS files written from the chunks.
- `codebook`: the codebook shipped in every export's ZIP.
- `services`: requesting, running, downloading and purging exports.
"""
