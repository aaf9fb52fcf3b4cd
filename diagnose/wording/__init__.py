"""Chinese wording of the pure core's verdicts, shared by the pages, the reports (PDF and Word) and the services.

It sits in `diagnose/` because the services (`diagnose/services/…`) print it too and may import neither `web/`
nor `reports/`. Sentence templates come from the Babel catalogue the pages use (`web/translations`).
"""
