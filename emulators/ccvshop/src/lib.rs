//! A faithful local stand-in for the CCV Shop REST API v1.
