//! Pages and components.

pub mod components;
pub mod layout;
pub mod live;
pub mod pages;
