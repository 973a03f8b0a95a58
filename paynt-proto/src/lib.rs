//! Sans-IO protocol machine for paynt terminals. Not implemented yet: this crate is a skeleton
//! that only reserves its place in the workspace.
#![no_std]
