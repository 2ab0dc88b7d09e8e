"""One parser per document kind; each turns text into plain data and claims its lines on a Ledger.

detect (which kind a document is), record (module record), recall (daily-recall week),
explainer (a long explainer page with callouts and a readiness quiz), quiz (inline quiz
questions: "Show answer", "Answer:", "A:"), cheatsheet (a night-before sheet of facts).
"""
