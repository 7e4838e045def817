"""Running LxL ID in production mode: ``bin/production`` (``deploy.local``) and its parts."""
