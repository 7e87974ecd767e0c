"""`daca grade`: whole classes, in parallel, resumable, with a gradebook and exports."""
