"""The soak of the production topology (`make soak`; docs/production.md, "The soak").

topology.py starts the deployment's processes and its backing services, gcs_proxy.py is the loopback
proxy that injects GCS 503s, plan.py says what happens at which sim time, driver.py runs a plan, prints
the timeline and asserts the pass criteria. `python -m tests.prod.soak [--short]`.
"""
