//! The countries a European web shop meets most, by the names and codes
//! shops and buyers actually type.

/// (alpha-2, alpha-3, names in lower case)
const COUNTRIES: &[(&str, &str, &[&str])] = &[
    ("NL", "NLD", &["netherlands", "the netherlands", "nederland", "holland"]),
    ("BE", "BEL", &["belgium", "belgië", "belgie", "belgique"]),
    ("DE", "DEU", &["germany", "deutschland", "duitsland"]),
    ("FR", "FRA", &["france", "frankrijk"]),
    ("LU", "LUX", &["luxembourg", "luxemburg"]),
    ("AT", "AUT", &["austria", "österreich", "oostenrijk"]),
    ("ES", "ESP", &["spain", "españa", "spanje"]),
    ("IT", "ITA", &["italy", "italia", "italië"]),
    ("DK", "DNK", &["denmark", "danmark", "denemarken"]),
    ("SE", "SWE", &["sweden", "sverige", "zweden"]),
    ("NO", "NOR", &["norway", "norge", "noorwegen"]),
    ("FI", "FIN", &["finland", "suomi"]),
    ("PL", "POL", &["poland", "polska", "polen"]),
    ("GB", "GBR", &["united kingdom", "great britain", "uk", "england", "verenigd koninkrijk"]),
    ("IE", "IRL", &["ireland", "ierland"]),
    ("CH", "CHE", &["switzerland", "schweiz", "zwitserland"]),
    ("US", "USA", &["united states", "united states of america", "verenigde staten"]),
];

pub fn to_alpha2(input: &str) -> Option<&'static str> {
    let trimmed = input.trim();
    let lower = trimmed.to_lowercase();
    COUNTRIES.iter().find_map(|(a2, a3, names)| {
        (trimmed.eq_ignore_ascii_case(a2) || trimmed.eq_ignore_ascii_case(a3) || names.contains(&lower.as_str()))
            .then_some(*a2)
    })
}
