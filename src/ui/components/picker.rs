//! Choosing a service or a country: a plain `<select>` rendered on the server (favourites,
//! then recently used, then the rest by name, with price and stock or the dial prefix beside
//! each), which the `PickerBox` island turns into a box that filters as you type.

use crate::api::dto::{Choices, CountryView, ServiceOfferView};
use crate::domain::names;
use crate::ui::islands::PickerBox;
use leptos::prelude::*;

/// One thing that can be chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// What the form sends: the provider's slug or the country code.
    pub value: String,
    /// What people call it ("WhatsApp", "United Kingdom").
    pub label: String,
    /// Its mark, shown before the label: a country's flag.
    pub mark: String,
    /// Shown beside it: price and stock, or the dial prefix.
    pub detail: String,
    /// False when none is in stock: listed, but not choosable.
    pub available: bool,
}

impl Choice {
    pub fn service(offer: &ServiceOfferView) -> Self {
        let stock = match offer.stock {
            0 => "none left".to_owned(),
            n => format!("{n} left"),
        };
        Choice {
            label: names::service_name(&offer.service).into_owned(),
            value: offer.service.clone(),
            mark: String::new(),
            detail: format!("{} · {stock}", offer.price.display()),
            available: offer.stock > 0,
        }
    }

    /// A service whose price depends on other choices (a rental's length): its name only.
    pub fn service_name(slug: &str) -> Self {
        Choice {
            label: names::service_name(slug).into_owned(),
            value: slug.to_owned(),
            mark: String::new(),
            detail: String::new(),
            available: true,
        }
    }

    pub fn country(country: &CountryView) -> Self {
        Choice {
            value: country.code.clone(),
            label: country.name.clone(),
            mark: names::flag(&country.code),
            detail: country.dial_prefix.clone().unwrap_or_default(),
            available: true,
        }
    }

    /// Whether it answers to what was typed: any part of its name or its code, in any case of
    /// ASCII letters (Unicode's case tables would cost the browser client kilobytes; "å" then
    /// only finds "å").
    pub fn matches(&self, typed: &str) -> bool {
        let typed = typed.trim().to_ascii_lowercase();
        typed.is_empty()
            || self.label.to_ascii_lowercase().contains(&typed)
            || self.value.to_ascii_lowercase().contains(&typed)
    }
}

/// Where a choice is listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Favourites,
    Recent,
    All,
}

impl Group {
    pub fn label(self) -> &'static str {
        match self {
            Group::Favourites => "Favourites",
            Group::Recent => "Recently used",
            Group::All => "All",
        }
    }

    /// How the server marks an option's group, for the island to read back.
    pub fn attr(self) -> &'static str {
        match self {
            Group::Favourites => "favourite",
            Group::Recent => "recent",
            Group::All => "",
        }
    }
}

/// The order choices are listed in, as indexes into `choices`: favourites (in the order they
/// were marked), then the recently used (newest first), then the rest by name.
pub fn ordered(
    choices: &[Choice],
    favourites: &[String],
    recent: &[String],
) -> Vec<(Group, usize)> {
    let index = |value: &String| choices.iter().position(|c| &c.value == value);
    let mut out: Vec<(Group, usize)> = favourites
        .iter()
        .filter_map(index)
        .map(|i| (Group::Favourites, i))
        .collect();
    out.extend(
        recent
            .iter()
            .filter(|v| !favourites.contains(v))
            .filter_map(index)
            .map(|i| (Group::Recent, i)),
    );
    let mut rest: Vec<usize> = (0..choices.len())
        .filter(|i| !out.iter().any(|(_, j)| j == i))
        .collect();
    rest.sort_by_cached_key(|i| choices[*i].label.to_ascii_lowercase());
    out.extend(rest.into_iter().map(|i| (Group::All, i)));
    out
}

/// Which favourites a picker keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickKind {
    Service,
    Country,
}

impl PickKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PickKind::Service => "service",
            PickKind::Country => "country",
        }
    }

    fn remembered(self, memory: &Choices) -> (&[String], &[String]) {
        match self {
            PickKind::Service => (&memory.favourite_services, &memory.recent_services),
            PickKind::Country => (&memory.favourite_countries, &memory.recent_countries),
        }
    }
}

/// A labelled field choosing one of `choices`; `submit_on_pick` sends its form as soon as a
/// choice is made (with JavaScript; the form's own button does without).
#[component]
pub fn Picker(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    kind: PickKind,
    choices: Vec<Choice>,
    #[prop(optional)] selected: Option<String>,
    memory: Choices,
    #[prop(optional)] submit_on_pick: bool,
) -> impl IntoView {
    let (favourites, recent) = kind.remembered(&memory);
    let order = ordered(&choices, favourites, recent);
    // Nothing chosen yet: the first choosable one, as a select would show it.
    let selected = selected
        .filter(|s| choices.iter().any(|c| &c.value == s && c.available))
        .or_else(|| {
            order
                .iter()
                .map(|(_, i)| &choices[*i])
                .find(|c| c.available)
                .map(|c| c.value.clone())
        })
        .unwrap_or_default();
    let option = |group: Group, c: &Choice| {
        let text = match (c.mark.is_empty(), c.detail.is_empty()) {
            (true, true) => c.label.clone(),
            (true, false) => format!("{} · {}", c.label, c.detail),
            (false, true) => format!("{} {}", c.mark, c.label),
            (false, false) => format!("{} {} · {}", c.mark, c.label, c.detail),
        };
        view! {
            <option
                value=c.value.clone()
                selected=c.value == selected
                disabled=!c.available
                data-label=c.label.clone()
                data-mark=c.mark.clone()
                data-detail=c.detail.clone()
                data-group=group.attr()
            >
                {text}
            </option>
        }
    };
    // Headings only where there is more than one group.
    let grouped = order.iter().any(|(g, _)| *g != Group::All);
    let options = if grouped {
        [Group::Favourites, Group::Recent, Group::All]
            .into_iter()
            .filter(|group| order.iter().any(|(g, _)| g == group))
            .map(|group| {
                let options = order
                    .iter()
                    .filter(|(g, _)| *g == group)
                    .map(|(_, i)| option(group, &choices[*i]))
                    .collect_view();
                view! { <optgroup label=group.label()>{options}</optgroup> }
            })
            .collect_view()
            .into_any()
    } else {
        order
            .iter()
            .map(|(g, i)| option(*g, &choices[*i]))
            .collect_view()
            .into_any()
    };
    view! {
        <div class="field grow picker">
            <label id=format!("{id}-label") for=id>{label}</label>
            <select id=id name=name>{options}</select>
            <PickerBox select=id.to_owned() kind=kind.as_str().to_owned() submit_on_pick />
        </div>
    }
}

/// Chooses the country whose prices a page shows: a GET form, so it works without JavaScript.
#[component]
pub fn CountryPicker(
    countries: Vec<CountryView>,
    selected: String,
    action: &'static str,
    memory: Choices,
) -> impl IntoView {
    let choices = countries.iter().map(Choice::country).collect();
    view! {
        <form method="get" action=action class="inline-form">
            <Picker
                id="country"
                name="country"
                label="Country"
                kind=PickKind::Country
                choices
                selected
                memory
                submit_on_pick=true
            />
            <button type="submit" class="btn" data-picker-submit="">"Show prices"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(value: &str, label: &str) -> Choice {
        Choice {
            value: value.into(),
            label: label.into(),
            mark: String::new(),
            detail: String::new(),
            available: true,
        }
    }

    #[test]
    fn favourites_then_recent_then_the_rest_by_name() {
        let choices = [
            choice("whatsapp", "WhatsApp"),
            choice("telegram", "Telegram"),
            choice("amazon", "Amazon"),
            choice("google", "Google"),
            choice("discord", "Discord"),
        ];
        let favourites = ["google".to_owned(), "nope".to_owned()];
        let recent = ["telegram".to_owned(), "google".to_owned()];
        let order: Vec<(Group, &str)> = ordered(&choices, &favourites, &recent)
            .into_iter()
            .map(|(g, i)| (g, choices[i].value.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                (Group::Favourites, "google"),
                (Group::Recent, "telegram"),
                (Group::All, "amazon"),
                (Group::All, "discord"),
                (Group::All, "whatsapp"),
            ]
        );
    }

    #[test]
    fn typing_matches_names_and_codes_in_any_case() {
        let gb = choice("GB", "United Kingdom");
        assert!(gb.matches("king"));
        assert!(gb.matches("gb"));
        assert!(gb.matches("  "));
        assert!(!gb.matches("germany"));
    }
}
