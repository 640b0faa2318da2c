"""Pipeline stages: each module is one `dvc.yaml` stage, run as `python -m poser_lib.stages.<name>`."""
