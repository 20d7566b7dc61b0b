//! Integration tests: run the real `assay` binary on trees on disk.

mod access;
mod archives;
mod clean_code;
mod cli;
mod confidence;
mod config;
mod demo;
mod documents;
mod faults;
mod fleet;
mod fleet_docs;
mod html;
mod inventory;
mod limits;
mod model;
mod precision;
mod s3;
mod sarif;
mod schema;
mod secrets;
mod state;
mod themes;
mod trail;
mod util;
mod verify;
