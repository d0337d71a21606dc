//! A faithful local stand-in for the Visma eAccounting API v2 and its OAuth2 identity server.
