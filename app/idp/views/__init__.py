"""HTTP views of the IdP: thin, they call the protocol and account modules."""
