//! What a record must hold after a mapping, checked in one place for every
//! flow: numbers finite and in sane ranges, VAT rates percentages, counts and
//! text sizes within the tenant's record limits, and an order's totals
//! consistent with its lines. A record that fails is parked with the field
//! and its value; nonsense is never booked.
//!
//! Totals are held to the source's own precision: a shop's figures may be a
//! cent or two apart after rounding per line, so the mapped order may be no
//! further from its lines (and its net plus VAT no further from its gross)
//! than the shop's order was, plus a cent. A mapping that changes prices or
//! lines changes the totals with them. Which VAT rates the books know is the
//! target connector's to check.

use super::{Record, shown};
use crate::bindings::types::{Address, Customer, Order, OrderLine, Product, StockLevel};
use crate::limits::RecordLimits;

/// Largest money amount (a price, discount or total) a record may carry.
pub const MAX_AMOUNT: f64 = 1e10;
/// Largest quantity (ordered or in stock) a record may carry.
pub const MAX_QUANTITY: f64 = 1e7;
/// How much further apart a mapped order's totals may be than the source's.
const CENT: f64 = 0.01;

type Checked = Result<(), String>;

/// `Err` names the first field that is wrong, its value and what is allowed.
pub fn hold(input: &Record, output: &Record, limits: &RecordLimits) -> Checked {
    let mut check = Check { limits, custom_fields: 0 };
    match (input, output) {
        (Record::Order(before), Record::Order(after)) => check.order(before, after),
        (_, Record::Order(_)) => Err("it returned an order for another kind of record".into()),
        (_, Record::Customer(c)) => check.customer("", c),
        (_, Record::Product(p)) => check.product(p),
        (_, Record::Stock(s)) => check.stock(s),
    }
}

struct Check<'l> {
    limits: &'l RecordLimits,
    /// Custom fields seen so far in this record.
    custom_fields: usize,
}

impl Check<'_> {
    fn order(&mut self, before: &Order, o: &Order) -> Checked {
        if o.lines.len() > self.limits.lines {
            return Err(format!(
                "it has {} lines; at most {} are allowed (limits.lines)",
                o.lines.len(),
                self.limits.lines
            ));
        }
        for (field, value) in [
            ("order_number", &o.order_number),
            ("source_id", &o.source_id),
            ("created_at", &o.created_at),
            ("status", &o.status),
            ("currency", &o.currency),
        ] {
            self.text(field, value)?;
        }
        for (field, value) in [
            ("payment_method", &o.payment_method),
            ("shipping_method", &o.shipping_method),
            ("coupon_code", &o.coupon_code),
            ("note", &o.note),
        ] {
            self.optional_text(field, value)?;
        }
        self.fields("custom_fields", &o.custom_fields)?;
        self.customer("customer.", &o.customer)?;
        self.address("billing_address", &o.billing_address)?;
        self.address("delivery_address", &o.delivery_address)?;
        for (i, line) in o.lines.iter().enumerate() {
            self.line(&format!("lines[{i}]"), line)?;
        }
        for (field, value) in
            [("total_excl_vat", o.total_excl_vat), ("total_vat", o.total_vat), ("total_incl_vat", o.total_incl_vat)]
        {
            number(field, value, -MAX_AMOUNT, MAX_AMOUNT)?;
        }
        let (lines, allowed) = (lines_incl_vat(o), (lines_incl_vat(before) - before.total_incl_vat).abs() + CENT);
        if (lines - o.total_incl_vat).abs() > allowed {
            return Err(format!(
                "total_incl_vat is {:.2} but its lines add up to {lines:.2} incl. VAT (the source's order was {:.2} \
                 apart): a mapping that changes lines or prices must change the totals with them",
                o.total_incl_vat,
                allowed - CENT
            ));
        }
        let parts = o.total_excl_vat + o.total_vat;
        let allowed = (before.total_excl_vat + before.total_vat - before.total_incl_vat).abs() + CENT;
        if (parts - o.total_incl_vat).abs() > allowed {
            return Err(format!(
                "total_excl_vat {:.2} plus total_vat {:.2} is {parts:.2}, not total_incl_vat {:.2}",
                o.total_excl_vat, o.total_vat, o.total_incl_vat
            ));
        }
        Ok(())
    }

    fn line(&mut self, at: &str, l: &OrderLine) -> Checked {
        self.text(&format!("{at}.sku"), &l.sku)?;
        self.text(&format!("{at}.name"), &l.name)?;
        number(&format!("{at}.quantity"), l.quantity, 0.0, MAX_QUANTITY)?;
        number(&format!("{at}.unit_price"), l.unit_price, -MAX_AMOUNT, MAX_AMOUNT)?;
        number(&format!("{at}.discount"), l.discount, -MAX_AMOUNT, MAX_AMOUNT)?;
        number(&format!("{at}.vat_rate"), l.vat_rate, 0.0, 100.0)?;
        self.fields(&format!("{at}.custom_fields"), &l.custom_fields)
    }

    fn customer(&mut self, at: &str, c: &Customer) -> Checked {
        for (field, value) in [
            ("source_id", &c.source_id),
            ("email", &c.email),
            ("first_name", &c.first_name),
            ("last_name", &c.last_name),
        ] {
            self.text(&format!("{at}{field}"), value)?;
        }
        for (field, value) in [
            ("company_name", &c.company_name),
            ("vat_number", &c.vat_number),
            ("registration_number", &c.registration_number),
            ("phone", &c.phone),
        ] {
            self.optional_text(&format!("{at}{field}"), value)?;
        }
        if let Some(contact) = &c.contact {
            self.text(&format!("{at}contact.name"), &contact.name)?;
            self.optional_text(&format!("{at}contact.email"), &contact.email)?;
            self.optional_text(&format!("{at}contact.phone"), &contact.phone)?;
        }
        self.address(&format!("{at}billing_address"), &c.billing_address)?;
        if let Some(delivery) = &c.delivery_address {
            self.address(&format!("{at}delivery_address"), delivery)?;
        }
        self.fields(&format!("{at}custom_fields"), &c.custom_fields)
    }

    fn address(&mut self, at: &str, a: &Address) -> Checked {
        for (field, value) in [
            ("name", &a.name),
            ("street", &a.street),
            ("postal_code", &a.postal_code),
            ("city", &a.city),
            ("country_code", &a.country_code),
        ] {
            self.text(&format!("{at}.{field}"), value)?;
        }
        for (field, value) in [
            ("company", &a.company),
            ("house_number", &a.house_number),
            ("house_number_suffix", &a.house_number_suffix),
            ("extra_line", &a.extra_line),
            ("region", &a.region),
            ("phone", &a.phone),
        ] {
            self.optional_text(&format!("{at}.{field}"), value)?;
        }
        self.fields(&format!("{at}.custom_fields"), &a.custom_fields)
    }

    fn product(&mut self, p: &Product) -> Checked {
        self.text("sku", &p.sku)?;
        self.text("name", &p.name)?;
        self.text("currency", &p.currency)?;
        for (field, value) in [
            ("short_description", &p.short_description),
            ("long_description", &p.long_description),
            ("ean", &p.ean),
            ("unit", &p.unit),
            ("origin", &p.origin),
        ] {
            self.optional_text(field, value)?;
        }
        for (i, segment) in p.category.iter().enumerate() {
            self.text(&format!("category[{i}]"), segment)?;
        }
        number("price_excl_vat", p.price_excl_vat, 0.0, MAX_AMOUNT)?;
        number("price_incl_vat", p.price_incl_vat, 0.0, MAX_AMOUNT)?;
        number("vat_rate", p.vat_rate, 0.0, 100.0)?;
        self.fields("custom_fields", &p.custom_fields)
    }

    fn stock(&mut self, s: &StockLevel) -> Checked {
        self.text("sku", &s.sku)?;
        self.optional_text("origin", &s.origin)?;
        // Books may hold negative stock (sold before it was received).
        for (field, value) in [("on_hand", s.on_hand), ("reserved", s.reserved), ("available", s.available)] {
            number(field, value, -MAX_QUANTITY, MAX_QUANTITY)?;
        }
        self.fields("custom_fields", &s.custom_fields)
    }

    /// Counted before their texts are looked at: the count is the cheap check.
    fn fields(&mut self, at: &str, fields: &[(String, String)]) -> Checked {
        self.custom_fields = self.custom_fields.saturating_add(fields.len());
        if self.custom_fields > self.limits.custom_fields {
            return Err(format!(
                "it has more than {} custom fields ({} in {at} alone; limits.custom_fields)",
                self.limits.custom_fields,
                fields.len()
            ));
        }
        for (name, value) in fields {
            self.text(&format!("{at} name {}", shown(name)), name)?;
            self.text(&format!("{at} {}", shown(name)), value)?;
        }
        Ok(())
    }

    fn text(&self, field: &str, value: &str) -> Checked {
        if value.len() > self.limits.text_bytes {
            return Err(format!(
                "{field} is {} KiB long; at most {} KiB are allowed (limits.text_kib)",
                value.len().div_ceil(1024),
                self.limits.text_bytes / 1024
            ));
        }
        Ok(())
    }

    fn optional_text(&self, field: &str, value: &Option<String>) -> Checked {
        value.as_deref().map_or(Ok(()), |v| self.text(field, v))
    }
}

fn number(field: &str, value: f64, min: f64, max: f64) -> Checked {
    if value.is_finite() && (min..=max).contains(&value) {
        return Ok(());
    }
    Err(format!("{field} is {}; allowed: {} to {}", figure(value), figure(min), figure(max)))
}

/// A number as people read it: 1e300, NaN and -inf stay short.
fn figure(value: f64) -> String {
    if value.is_finite() && value.abs() < 1e9 { format!("{value}") } else { format!("{value:e}") }
}

/// What the lines come to incl. VAT, as the order's total counts them (an
/// exempt order's net prices are charged no VAT).
fn lines_incl_vat(o: &Order) -> f64 {
    o.lines
        .iter()
        .map(|l| {
            let amount = (l.unit_price - l.discount) * l.quantity;
            if l.prices_include_vat || o.vat_exempt { amount } else { amount * (1.0 + l.vat_rate / 100.0) }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{ComponentKind, Limits};
    use crate::sample::sample_order;

    fn check(change: impl FnOnce(&mut Order)) -> Checked {
        let mut order = sample_order();
        change(&mut order);
        hold(&Record::Order(sample_order()), &Record::Order(order), &Limits::defaults(ComponentKind::Mapping).record)
    }

    #[test]
    fn the_sample_order_holds() {
        assert_eq!(check(|_| {}), Ok(()));
    }

    #[test]
    fn a_line_and_its_total_changed_together_hold() {
        let more = check(|o| {
            o.lines[0].quantity += 1.0;
            let added = o.lines[0].unit_price - o.lines[0].discount;
            o.total_incl_vat += added;
            o.total_excl_vat += added;
        });
        assert_eq!(more, Ok(()));
        let alone = check(|o| o.lines[0].quantity += 1.0).unwrap_err();
        assert!(alone.starts_with("total_incl_vat is 64.35 but its lines add up to 86.80"), "{alone}");
    }

    #[test]
    fn nonsense_names_the_field_and_the_value() {
        for (change, says) in [
            (
                Box::new(|o: &mut Order| o.lines[1].quantity = -5.0) as Box<dyn FnOnce(&mut Order)>,
                "lines[1].quantity is -5; allowed: 0 to 10000000",
            ),
            (Box::new(|o: &mut Order| o.lines[0].discount = 1e300), "lines[0].discount is 1e300"),
            (Box::new(|o: &mut Order| o.lines[0].vat_rate = -21.0), "lines[0].vat_rate is -21; allowed: 0 to 100"),
            (Box::new(|o: &mut Order| o.total_incl_vat = f64::NAN), "total_incl_vat is NaN"),
            (Box::new(|o: &mut Order| o.total_vat = -1e308), "total_vat is -1e308"),
            (
                Box::new(|o: &mut Order| o.billing_address.city = "x".repeat(100_000)),
                "billing_address.city is 98 KiB long",
            ),
        ] {
            let err = check(change).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
    }
}
