//! Fuzz targets. Not implemented yet.
