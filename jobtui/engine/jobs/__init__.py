"""Job definitions: fields and their rules, add/edit/remove, TOML files and the job-files folder."""
