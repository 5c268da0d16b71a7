"""socialpulse sandbox: a deterministic simulator of the region's social-media platforms.

It serves real wire formats (Facebook Graph API today) over local HTTP and knows
its own ground truth, so the warehouse can be tested end to end and reconciled
exactly. See `sandbox/README.md`. Entry points: `sandbox.server.serve_in_thread`,
`sandbox.truth.truth`, `python -m sandbox serve|truth`.
"""
