"""The web console (`/ui/`): server-rendered pages for people, a client of the API it runs in."""
