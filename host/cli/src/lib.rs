//! The trestle command line: run syncs, inspect the activity log, run the demo.
