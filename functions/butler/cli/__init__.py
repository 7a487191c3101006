"""The staff command-line tool (``butler-staff``): work repair work orders and inquiries,
complaints and suggestions from a terminal.

Every workflow step is a subcommand generated from the workflows of every kind of case
(``butler.cli.kinds``); the reference's prefix says which kind a step is for. Steps go
through ``butler.services.cases.take_step``, exactly like the API and the console-edit
guard. What it prints is in Simplified Chinese.
"""
