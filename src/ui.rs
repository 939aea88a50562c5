//! Pages and components.

pub mod components;
pub mod islands;
pub mod layout;
pub mod live;
pub mod pages;
