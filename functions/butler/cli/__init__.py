"""The staff command-line tool (``butler-staff``): work the repair queues from a terminal.

Every workflow step is a subcommand generated from ``REPAIR_WORKFLOW``; steps go through
``butler.services.repairs.take_step``, exactly like the API and the console-edit guard.
What it prints is in Simplified Chinese.
"""
