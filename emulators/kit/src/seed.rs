//! One deterministic catalogue and customer base that both emulators seed
//! from, so that the shop's SKUs exist as articles in the books (except the
//! few the generator leaves out on purpose, to exercise "missing article").

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    pub sku: String,
    pub ean: String,
    /// (attribute, value), e.g. ("Size", "M").
    pub attributes: Vec<(String, String)>,
    pub stock: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CatalogueItem {
    pub sku: String,
    pub name: String,
    pub ean: Option<String>,
    pub short_description: String,
    pub description: String,
    pub price_excl_vat: f64,
    /// Percent: 21, 9 or 0 (Dutch shop rates).
    pub vat_rate: f64,
    pub unit: String,
    /// Path from the root, e.g. ["Clothing", "Shirts"].
    pub category: Vec<String>,
    pub stock: f64,
    pub active: bool,
    /// Empty for a simple product.
    pub variants: Vec<Variant>,
    /// False for the few items the books do not know (missing-article cases).
    pub in_books: bool,
}

impl CatalogueItem {
    pub fn price_incl_vat(&self) -> f64 {
        round2(self.price_excl_vat * (1.0 + self.vat_rate / 100.0))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub company: Option<String>,
    pub vat_number: Option<String>,
    pub street: String,
    pub house_number: u32,
    pub house_number_suffix: Option<String>,
    pub postal_code: String,
    pub city: String,
    /// ISO alpha-2.
    pub country_code: String,
    pub country_name: String,
    pub phone: String,
}

pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

const ADJECTIVES: &[&str] = &["Classic", "Organic", "Sturdy", "Bright", "Compact", "Deluxe", "Nordic", "Urban"];
const NOUNS: &[(&str, &[&str], f64)] = &[
    ("T-shirt", &["Clothing", "Shirts"], 21.0),
    ("Hoodie", &["Clothing", "Sweaters"], 21.0),
    ("Coffee beans", &["Food", "Coffee"], 9.0),
    ("Tea blend", &["Food", "Tea"], 9.0),
    ("Notebook", &["Office", "Paper"], 21.0),
    ("Desk lamp", &["Office", "Lighting"], 21.0),
    ("Cookbook", &["Books"], 9.0),
    ("Gift card", &["Gift cards"], 0.0),
];
const SIZES: &[&str] = &["S", "M", "L", "XL"];

/// `count` products; about one in five has size variants, one in fifty is
/// missing from the books and one in twenty-five is inactive.
pub fn catalogue(seed: u64, count: usize) -> Vec<CatalogueItem> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xCA7A_1096);
    (0..count)
        .map(|i| {
            let adjective = ADJECTIVES[i % ADJECTIVES.len()];
            let (noun, category, vat_rate) = NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()];
            let sku = format!("SKU-{:05}", i + 1);
            let price_excl_vat = round2(rng.random_range(2.5..180.0));
            let variants = if i % 5 == 4 && vat_rate > 0.0 {
                SIZES
                    .iter()
                    .enumerate()
                    .map(|(v, size)| Variant {
                        sku: format!("{sku}-{size}"),
                        ean: ean13(8_712_345_000_000 + (i as u64) * 10 + v as u64),
                        attributes: vec![("Size".to_string(), size.to_string())],
                        stock: f64::from(rng.random_range(0..40u32)),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            CatalogueItem {
                name: format!("{adjective} {noun} {}", i + 1),
                ean: (i % 7 != 3).then(|| ean13(8_712_345_100_000 + i as u64)),
                short_description: format!("{adjective} {} for every day.", noun.to_lowercase()),
                description: format!(
                    "<p>The {} {} is made to last. Item {} of our range.</p>",
                    adjective.to_lowercase(),
                    noun.to_lowercase(),
                    i + 1
                ),
                price_excl_vat,
                vat_rate,
                unit: if noun == "Coffee beans" { "kg".into() } else { "pcs".into() },
                category: category.iter().map(|c| c.to_string()).collect(),
                stock: f64::from(rng.random_range(0..250u32)),
                active: i % 25 != 24,
                in_books: i % 50 != 49,
                variants,
                sku,
            }
        })
        .collect()
}

struct Country {
    code: &'static str,
    name: &'static str,
    cities: &'static [(&'static str, &'static str)],
    streets: &'static [&'static str],
}

const COUNTRIES: &[Country] = &[
    Country {
        code: "NL",
        name: "Netherlands",
        cities: &[("Amsterdam", "1012 AB"), ("Utrecht", "3511 CE"), ("Groningen", "9711 LM")],
        streets: &["Keizersgracht", "Oudegracht", "Herestraat"],
    },
    Country {
        code: "BE",
        name: "Belgium",
        cities: &[("Antwerpen", "2000"), ("Gent", "9000")],
        streets: &["Meir", "Veldstraat"],
    },
    Country {
        code: "DE",
        name: "Germany",
        cities: &[("Berlin", "10115"), ("Köln", "50667")],
        streets: &["Torstraße", "Hohe Straße"],
    },
    Country {
        code: "SE",
        name: "Sweden",
        cities: &[("Stockholm", "111 22"), ("Göteborg", "411 05")],
        streets: &["Drottninggatan", "Avenyn"],
    },
    Country { code: "US", name: "United States", cities: &[("Portland", "97201")], streets: &["Main Street"] },
];
const FIRST: &[&str] = &["Anna", "Sven", "Daan", "Emma", "Lucas", "Julia", "Noah", "Sophie", "Liam", "Eva"];
const LAST: &[&str] = &["de Vries", "Jansen", "Andersson", "Müller", "Peeters", "Bakker", "Lindqvist", "Smith"];
const COMPANIES: &[&str] =
    &["Bakkerij Jansen B.V.", "Nordic Design AB", "Müller GmbH", "Peeters BVBA", "Studio Smith LLC"];

/// `count` buyers: about a third are companies, most live in NL, the rest
/// spread over BE, DE, SE and the US; some house numbers have a suffix.
pub fn people(seed: u64, count: usize) -> Vec<Person> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0BE0_B1E5);
    (0..count)
        .map(|i| {
            let country = if i % 3 == 0 { &COUNTRIES[0] } else { &COUNTRIES[i % COUNTRIES.len()] };
            let (city, postal_code) = *country.cities.choose(&mut rng).expect("cities are listed");
            let first_name = FIRST[i % FIRST.len()].to_string();
            let last_name = LAST[(i / FIRST.len()) % LAST.len()].to_string();
            let company = (i % 3 == 1).then(|| COMPANIES[i % COMPANIES.len()].to_string());
            let vat_number = company.as_ref().map(|_| format!("{}{:09}B01", country.code, 100_000_000 + i));
            Person {
                email: format!(
                    "{}.{}{}@example.{}",
                    first_name.to_lowercase(),
                    last_name.to_lowercase().replace(' ', ""),
                    i + 1,
                    country.code.to_lowercase()
                ),
                first_name,
                last_name,
                company,
                vat_number,
                street: country.streets.choose(&mut rng).expect("streets are listed").to_string(),
                house_number: rng.random_range(1..300),
                house_number_suffix: (i % 6 == 5).then(|| ["A", "bis", "2-hoog"][i % 3].to_string()),
                postal_code: postal_code.to_string(),
                city: city.to_string(),
                country_code: country.code.to_string(),
                country_name: country.name.to_string(),
                phone: format!("+31 6 {:08}", 10_000_000 + i),
            }
        })
        .collect()
}

/// EAN-13 with a valid check digit from a 12-digit base.
fn ean13(base: u64) -> String {
    let digits = format!("{:012}", base % 1_000_000_000_000);
    let sum: u32 = digits
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).expect("formatted digits") * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_data_and_valid_eans() {
        let a = catalogue(7, 60);
        let b = catalogue(7, 60);
        assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
        assert!(a.iter().any(|p| !p.variants.is_empty()));
        assert!(a.iter().any(|p| !p.in_books));
        // 4006381333931 is a well-known valid EAN-13.
        assert_eq!(ean13(400_638_133_393), "4006381333931");
    }

    #[test]
    fn people_mix_companies_countries_and_suffixes() {
        let p = people(1, 30);
        assert!(p.iter().any(|x| x.company.is_some()));
        assert!(p.iter().any(|x| x.company.is_none()));
        assert!(p.iter().any(|x| x.house_number_suffix.is_some()));
        assert!(p.iter().map(|x| &x.country_code).collect::<std::collections::BTreeSet<_>>().len() >= 4);
    }
}
