//! The table of cases (being written).
