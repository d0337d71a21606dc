//! A realistic order (a Dutch company buying two articles, shipped to
//! Belgium) for the demo, tests and benchmarks that need one before any
//! shop is connected.

use crate::bindings::types::{Address, Contact, Customer, CustomerKind, LineKind, Order, OrderLine};

pub fn sample_order() -> Order {
    let billing = Address {
        name: "Anna de Vries".into(),
        company: Some("Bakkerij Jansen B.V.".into()),
        street: "Keizersgracht".into(),
        house_number: Some("112".into()),
        house_number_suffix: Some("A".into()),
        extra_line: None,
        postal_code: "1015 CV".into(),
        city: "Amsterdam".into(),
        region: None,
        country_code: "Netherlands".into(),
        phone: Some("+31 20 123 4567".into()),
        custom_fields: Vec::new(),
    };
    let delivery = Address {
        street: "Meir".into(),
        house_number: Some("24".into()),
        house_number_suffix: None,
        postal_code: "2000".into(),
        city: "Antwerpen".into(),
        country_code: "BEL".into(),
        ..billing.clone()
    };
    let line = |kind, sku: &str, name: &str, quantity: f64, unit_price: f64, discount: f64, vat_rate: f64| OrderLine {
        kind,
        sku: sku.into(),
        name: name.into(),
        quantity,
        unit_price,
        prices_include_vat: true,
        discount,
        vat_rate,
        custom_fields: Vec::new(),
    };
    Order {
        source_id: "1001".into(),
        order_number: "WEB-1001".into(),
        created_at: "2026-11-27T09:30:00Z".into(),
        status: "1".into(),
        paid: true,
        currency: "EUR".into(),
        customer: Customer {
            source_id: "501".into(),
            kind: CustomerKind::Company,
            email: "anna@bakkerij-jansen.example".into(),
            first_name: "Anna".into(),
            last_name: "de Vries".into(),
            company_name: Some("Bakkerij Jansen B.V.".into()),
            contact: Some(Contact {
                name: "Anna de Vries".into(),
                email: Some("anna@bakkerij-jansen.example".into()),
                phone: None,
            }),
            vat_number: Some("NL123456789B01".into()),
            registration_number: Some("12345678".into()),
            phone: Some("+31 20 123 4567".into()),
            billing_address: billing.clone(),
            delivery_address: Some(delivery.clone()),
            custom_fields: Vec::new(),
        },
        billing_address: billing,
        delivery_address: delivery,
        lines: vec![
            line(LineKind::Article, "SKU-00001", "Classic T-shirt 1", 2.0, 24.95, 2.50, 21.0),
            line(LineKind::Article, "SKU-00017-M", "Organic Coffee beans 17 (M)", 1.0, 12.50, 0.0, 9.0),
            line(LineKind::Shipping, "", "Shipping", 1.0, 6.95, 0.0, 21.0),
        ],
        payment_method: Some("ideal".into()),
        shipping_method: Some("PostNL".into()),
        coupon_code: None,
        vat_exempt: false,
        // The lines' sum: 2 x (24.95 - 2.50) + 12.50 + 6.95, VAT included.
        total_excl_vat: 54.32,
        total_vat: 10.03,
        total_incl_vat: 64.35,
        note: None,
        custom_fields: Vec::new(),
    }
}
