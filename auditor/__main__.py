from auditor.cli import entrypoint

entrypoint()
