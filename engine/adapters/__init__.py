"""What talks to the outside world: the database (store), files (attachments), passwords, rendering."""
