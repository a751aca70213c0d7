"""The dashboard, driven with App.run_test(), snapshots, a pty and tmux."""
