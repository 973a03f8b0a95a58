//! The blocking runtime. Not implemented yet: a skeleton that reserves its place in the workspace.
