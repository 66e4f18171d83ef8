"""Feedback to the county boards: the marked-up return, the e-mail to its submitter, the status page.

annotate.py    a copy of the submitted workbook with every issue marked (fill, comment, Återkoppling sheet)
nightly.py     which returns get feedback and where the files go (next to quarantined/warned returns)
run.py         the nightly stage: workbooks, then the opt-in e-mails; the status page
mail.py        the opt-in e-mail to the contact in the return's Uppgifter sheet (outbox, sent-once state)
status_page.py data/output/status/index.html from the warehouse's mart_submission_status
"""
