//! The Visma eAccounting connector component.
