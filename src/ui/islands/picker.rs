//! The picker box: once the WASM runs, the server's `<select>` (see `components::picker`)
//! gives way to a box that filters its choices as you type, in the ARIA combobox pattern
//! (arrow keys move, Enter chooses, Escape closes; the list and the count of matches are
//! announced), with a star that keeps the current choice among the favourites.
//!
//! The select stays in the form, hidden, and keeps the chosen value: the form sends what it
//! always sent, and the choices are read from its options rather than sent twice in the page.
//!
//! Why the box is built with DOM calls rather than a `view!`: written as a view, this one
//! widget cost 31 KB gzip of WASM in the first load (the typed view code of a dozen reactive
//! attributes); built by hand it costs a few. Its state is plain data owned by its listeners;
//! nothing else on the page reads it.

use super::call;
use super::dom::{document, elements, fire, on};
use super::lifetime::ends_with_its_element;
use crate::api::catalog::SetFavourite;
use crate::ui::components::picker::{ordered, Choice, Group};
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement, KeyboardEvent, UrlSearchParams};

#[island(lazy)]
pub fn PickerBox(select: String, kind: String, submit_on_pick: bool) -> impl IntoView {
    ends_with_its_element();
    // In the browser only (effects do not run on the server): take over from the select.
    Effect::new(move |_| {
        if let Some(picker) = Picker::build(&select, &kind, submit_on_pick) {
            listen(picker);
        }
    });
}

/// The select, if it is still on the page.
fn field(id: &str) -> Option<HtmlSelectElement> {
    document()?.get_element_by_id(id)?.dyn_into().ok()
}

struct Picker {
    select: HtmlSelectElement,
    input: HtmlInputElement,
    star: Element,
    list: Element,
    status: Element,
    kind: String,
    submit_on_pick: bool,
    choices: Vec<Choice>,
    favourites: Vec<String>,
    recent: Vec<String>,
    /// What the list shows now: indexes into `choices`, by group.
    listed: Vec<(Group, usize)>,
    open: bool,
    typing: bool,
    /// The position of the highlighted option in `listed`.
    active: Option<usize>,
}

type Shared = Rc<RefCell<Picker>>;

impl Picker {
    fn build(id: &str, kind: &str, submit_on_pick: bool) -> Option<Picker> {
        let document = document()?;
        let select = field(id)?;
        let make = |tag: &str, attrs: &[(&str, &str)]| -> Option<Element> {
            let el = document.create_element(tag).ok()?;
            for (name, value) in attrs {
                el.set_attribute(name, value).ok()?;
            }
            Some(el)
        };
        let (box_id, list_id) = (format!("{id}-box"), format!("{id}-list"));
        let label = document.get_element_by_id(&format!("{id}-label"));
        let label_text = label
            .as_ref()
            .and_then(|l| l.text_content())
            .unwrap_or_default();
        let wrapper = make("div", &[("class", "picker-box")])?;
        let input: HtmlInputElement = make(
            "input",
            &[
                ("id", &box_id),
                ("type", "text"),
                ("role", "combobox"),
                ("aria-autocomplete", "list"),
                ("aria-controls", &list_id),
                ("aria-expanded", "false"),
                ("autocomplete", "off"),
                ("spellcheck", "false"),
                ("placeholder", "Type to filter"),
            ],
        )?
        .dyn_into()
        .ok()?;
        let star = make(
            "button",
            &[
                ("type", "button"),
                ("class", "picker-star"),
                ("aria-pressed", "false"),
            ],
        )?;
        let mark = make("span", &[("aria-hidden", "true")])?;
        let name = make("span", &[("class", "sr-only")])?;
        name.set_text_content(Some(&format!("{label_text} favourite")));
        star.append_with_node_2(&mark, &name).ok()?;
        let list = make(
            "ul",
            &[
                ("id", &list_id),
                ("role", "listbox"),
                ("aria-label", &label_text),
                ("class", "picker-list"),
                ("hidden", ""),
            ],
        )?;
        let status = make("span", &[("class", "sr-only"), ("role", "status")])?;
        wrapper
            .append_with_node_4(&input, &star, &list, &status)
            .ok()?;
        let (choices, favourites, recent) = read_options(&select);
        select.after_with_node_1(&wrapper).ok()?;
        // Hydrated as the customer came to it: the focus they gave the select goes to the box.
        let focused = document.active_element().is_some_and(|a| a == **select);
        select.set_hidden(true);
        if focused {
            let _ = input.focus();
        }
        if let Some(label) = label {
            let _ = label.set_attribute("for", &box_id);
        }
        let mut picker = Picker {
            select,
            input,
            star,
            list,
            status,
            kind: kind.to_owned(),
            submit_on_pick,
            choices,
            favourites,
            recent,
            listed: Vec::new(),
            open: false,
            typing: false,
            active: None,
        };
        picker.show_choice();
        Some(picker)
    }

    fn chosen(&self) -> String {
        self.select.value()
    }

    /// The box shows the chosen one, and the star whether it is a favourite.
    fn show_choice(&mut self) {
        let chosen = self.chosen();
        let text = self
            .choices
            .iter()
            .find(|c| c.value == chosen)
            .map(|c| match c.mark.is_empty() {
                true => c.label.clone(),
                false => format!("{} {}", c.mark, c.label),
            })
            .unwrap_or_default();
        self.input.set_value(&text);
        let favourite = self.favourites.contains(&chosen);
        let _ = self
            .star
            .set_attribute("aria-pressed", if favourite { "true" } else { "false" });
        let _ = self.star.set_attribute(
            "title",
            if favourite {
                "Remove from favourites"
            } else {
                "Add to favourites"
            },
        );
        if let Some(mark) = self.star.first_element_child() {
            mark.set_text_content(Some(if favourite { "★" } else { "☆" }));
        }
        self.star
            .toggle_attribute_with_force("disabled", chosen.is_empty())
            .ok();
    }

    /// Lists the choices that answer to what was typed (all of them before any typing).
    fn render_list(&mut self) {
        let typed = self.typing.then(|| self.input.value());
        self.listed = ordered(&self.choices, &self.favourites, &self.recent)
            .into_iter()
            .filter(|(_, i)| typed.as_deref().is_none_or(|t| self.choices[*i].matches(t)))
            .collect();
        self.list.set_text_content(None);
        let Some(document) = document() else { return };
        let grouped = self.listed.iter().any(|(g, _)| *g != Group::All);
        let chosen = self.chosen();
        let mut last = None;
        for (pos, (group, i)) in self.listed.iter().enumerate() {
            let c = &self.choices[*i];
            if grouped && last != Some(*group) {
                if let Ok(heading) = document.create_element("li") {
                    let _ = heading.set_attribute("role", "presentation");
                    let _ = heading.set_attribute("class", "picker-group");
                    heading.set_text_content(Some(group.label()));
                    let _ = self.list.append_child(&heading);
                }
            }
            last = Some(*group);
            let Ok(option) = document.create_element("li") else {
                continue;
            };
            let _ = option.set_attribute("id", &self.option_id(pos));
            let _ = option.set_attribute("role", "option");
            let _ = option.set_attribute("class", "picker-option");
            let _ = option.set_attribute("data-pos", &pos.to_string());
            let selected = if c.value == chosen { "true" } else { "false" };
            let _ = option.set_attribute("aria-selected", selected);
            if !c.available {
                let _ = option.set_attribute("aria-disabled", "true");
            }
            for (class, text) in [
                ("picker-name", format!("{} {}", c.mark, c.label)),
                ("picker-detail", c.detail.clone()),
            ] {
                if let Ok(span) = document.create_element("span") {
                    let _ = span.set_attribute("class", class);
                    span.set_text_content(Some(text.trim_start()));
                    let _ = option.append_child(&span);
                }
            }
            let _ = self.list.append_child(&option);
        }
        let said = match self.listed.len() {
            0 => "No matches".to_owned(),
            1 => "1 choice".to_owned(),
            n => format!("{n} choices"),
        };
        self.status.set_text_content(Some(&said));
    }

    fn option_id(&self, pos: usize) -> String {
        format!("{}-opt-{pos}", self.select.id())
    }

    fn set_open(&mut self, open: bool) {
        self.open = open;
        let _ = self
            .input
            .set_attribute("aria-expanded", if open { "true" } else { "false" });
        let _ = self.list.toggle_attribute_with_force("hidden", !open);
        if !open {
            self.status.set_text_content(None);
        }
    }

    /// Opens the whole list at the chosen one.
    fn open_at_chosen(&mut self) {
        self.typing = false;
        self.render_list();
        self.set_open(true);
        let chosen = self.chosen();
        let at = self
            .listed
            .iter()
            .position(|(_, i)| self.choices[*i].value == chosen);
        self.set_active(at.or_else(|| self.step_from(None, 1)));
    }

    fn close(&mut self) {
        self.set_open(false);
        self.typing = false;
        self.set_active(None);
        self.show_choice();
    }

    /// The next choosable option from `from` in `step` direction (`from` itself at the end).
    fn step_from(&self, from: Option<usize>, step: isize) -> Option<usize> {
        let len = self.listed.len() as isize;
        let mut pos = from.map_or(if step > 0 { -1 } else { len }, |p| p as isize);
        loop {
            pos += step;
            if pos < 0 || pos >= len {
                return from;
            }
            if self.choices[self.listed[pos as usize].1].available {
                return Some(pos as usize);
            }
        }
    }

    fn set_active(&mut self, pos: Option<usize>) {
        if let Some(old) = self.active.and_then(|p| self.option(p)) {
            let _ = old.class_list().remove_1("active");
        }
        self.active = pos;
        match pos.and_then(|p| self.option(p)) {
            Some(el) => {
                let _ = el.class_list().add_1("active");
                let _ = self.input.set_attribute("aria-activedescendant", &el.id());
                el.scroll_into_view_with_bool(false);
            }
            None => {
                let _ = self.input.remove_attribute("aria-activedescendant");
            }
        }
    }

    fn option(&self, pos: usize) -> Option<Element> {
        document()?.get_element_by_id(&self.option_id(pos))
    }

    /// Takes the option at `pos` (if it can be chosen) into the form.
    fn pick(&mut self, pos: usize) {
        let Some(c) = self.listed.get(pos).map(|(_, i)| &self.choices[*i]) else {
            return;
        };
        if !c.available {
            return;
        }
        self.select.set_value(&c.value.clone());
        self.close();
        fire(&self.select, "change");
        if self.submit_on_pick {
            if let Some(form) = self.select.form() {
                let _ = form.request_submit();
            }
        }
    }
}

/// The choices as the server listed them, and which were favourites and recently used.
fn read_options(select: &HtmlSelectElement) -> (Vec<Choice>, Vec<String>, Vec<String>) {
    let (mut choices, mut favourites, mut recent) = (Vec::new(), Vec::new(), Vec::new());
    for option in elements(select.query_selector_all("option")) {
        let attr = |name: &str| option.get_attribute(name).unwrap_or_default();
        let value = attr("value");
        match attr("data-group").as_str() {
            "favourite" => favourites.push(value.clone()),
            "recent" => recent.push(value.clone()),
            _ => {}
        }
        choices.push(Choice {
            value,
            label: attr("data-label"),
            mark: attr("data-mark"),
            detail: attr("data-detail"),
            available: !option.has_attribute("disabled"),
        });
    }
    (choices, favourites, recent)
}

/// The box's listeners; they end with the island (`dom::on`).
fn listen(picker: Picker) {
    let (input, list, star) = (
        picker.input.clone(),
        picker.list.clone(),
        picker.star.clone(),
    );
    let picker: Shared = Rc::new(RefCell::new(picker));
    let p = picker.clone();
    on(&input, "input", move |_| {
        let mut p = p.borrow_mut();
        p.typing = true;
        p.render_list();
        p.set_open(true);
        let first = p.step_from(None, 1);
        p.set_active(first);
    });
    let p = picker.clone();
    on(&input, "keydown", move |event| {
        let Some(key) = event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key) else {
            return;
        };
        let mut p = p.borrow_mut();
        match key.as_str() {
            "ArrowDown" | "ArrowUp" => {
                event.prevent_default();
                if !p.open {
                    p.open_at_chosen();
                } else {
                    let next = p.step_from(p.active, if key == "ArrowDown" { 1 } else { -1 });
                    p.set_active(next);
                }
            }
            // Choosing, not sending the form.
            "Enter" if p.open => {
                event.prevent_default();
                if let Some(pos) = p.active {
                    p.pick(pos);
                }
            }
            "Escape" if p.open || p.typing => {
                event.prevent_default();
                p.close();
            }
            _ => {}
        }
    });
    let p = picker.clone();
    on(&input, "click", move |_| {
        let mut p = p.borrow_mut();
        if p.open {
            p.close();
        } else {
            p.open_at_chosen();
        }
    });
    let p = picker.clone();
    on(&input, "blur", move |_| {
        // Not while the picker itself is at work (a choice sends the form, which may move focus).
        if let Ok(mut p) = p.try_borrow_mut() {
            p.close();
        }
    });
    let p = picker.clone();
    on(&list, "mousedown", move |event| {
        // Keeps the focus in the box.
        event.prevent_default();
        let pos = super::dom::target_closest(&event, "[data-pos]")
            .and_then(|el| el.get_attribute("data-pos")?.parse().ok());
        if let Some(pos) = pos {
            p.borrow_mut().pick(pos);
        }
    });
    on(&star, "click", move |_| {
        let (kind, code, on) = {
            let p = picker.borrow();
            let code = p.chosen();
            let on = !p.favourites.contains(&code);
            (p.kind.clone(), code, on)
        };
        let picker = picker.clone();
        leptos::task::spawn_local(async move {
            let Ok(args) = UrlSearchParams::new() else {
                return;
            };
            args.append("kind", &kind);
            args.append("code", &code);
            args.append("on", if on { "true" } else { "false" });
            let answer = call::post::<SetFavourite>(&args).await;
            let mut p = picker.borrow_mut();
            match answer {
                Ok(now) => {
                    p.favourites = match kind.as_str() {
                        "country" => now.favourite_countries,
                        _ => now.favourite_services,
                    };
                    p.show_choice();
                }
                Err(e) => p.status.set_text_content(Some(&e.message)),
            }
        });
    });
}
