"""Lambda entry points, one module per function in template.yaml. Thin: wiring only.

Cold start (docs/cold-start.md): Lambda imports this package first, then the handler
module, and with it boto3, powertools, PynamoDB (and pydantic for the API): 60,000 to
100,000 objects that live as long as the process. The cyclic garbage collector would scan
them again and again while they load (one full pass over boto3's objects alone takes 20 to
30 ms here), finding nothing to free. So it is paused here, and each handler module calls
``loaded()`` as its last line: what was loaded is frozen (``gc.freeze``: never scanned
again, neither now nor by requests) and collection resumes for everything a request
creates. (A module that fails to load leaves it paused, in a process that can answer
nothing anyway.)
"""
import gc

gc.disable()


def loaded() -> None:
    """The handler module is loaded: freeze what it loaded and collect garbage again."""
    gc.freeze()
    gc.enable()
