use crate::api::dto::CountryView;
use leptos::prelude::*;

/// Chooses the country whose prices a page shows: a GET form, so it works without JavaScript.
#[component]
pub fn CountryPicker(
    countries: Vec<CountryView>,
    selected: String,
    action: &'static str,
) -> impl IntoView {
    view! {
        <form method="get" action=action class="inline-form">
            <div class="field grow">
                <label for="country">"Country"</label>
                <select id="country" name="country">
                    {countries
                        .into_iter()
                        .map(|c| {
                            let chosen = c.code == selected;
                            view! { <option value=c.code.clone() selected=chosen>{format!("{} ({})", c.name, c.code)}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="btn">"Show prices"</button>
        </form>
    }
}
