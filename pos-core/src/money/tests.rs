use super::*;
use proptest::prelude::*;

fn cur(code: &str) -> Currency {
    Currency::from_code(code).unwrap()
}

#[test]
fn major_strings_have_exactly_the_exponents_places() {
    assert_eq!(
        Money::parse_major("12.5", cur("GBP"))
            .unwrap()
            .to_major_string(),
        "12.50"
    );
    assert_eq!(
        Money::parse_major("12", cur("GBP"))
            .unwrap()
            .to_major_string(),
        "12.00"
    );
    assert_eq!(
        Money::parse_major("1250", cur("JPY"))
            .unwrap()
            .to_major_string(),
        "1250"
    );
    assert_eq!(
        Money::parse_major("1.25", cur("KWD"))
            .unwrap()
            .to_major_string(),
        "1.250"
    );
    assert_eq!(
        Money::parse_major("12.500", cur("GBP"))
            .unwrap()
            .minor_units(),
        1250
    );
    assert_eq!(
        Money::parse_major("0", cur("GBP"))
            .unwrap()
            .to_major_string(),
        "0.00"
    );
}

#[test]
fn minor_units_convert_exactly() {
    assert_eq!(
        Money::from_minor(1250, cur("GBP"))
            .unwrap()
            .to_major_string(),
        "12.50"
    );
    assert_eq!(
        Money::from_minor(1250, cur("JPY"))
            .unwrap()
            .to_major_string(),
        "1250"
    );
    assert_eq!(
        Money::from_minor(1250, cur("KWD"))
            .unwrap()
            .to_major_string(),
        "1.250"
    );
    assert_eq!(
        Money::from_minor(MAX_MINOR_UNITS, cur("USD"))
            .unwrap()
            .minor_units(),
        MAX_MINOR_UNITS
    );
}

#[test]
fn every_invalid_input_gets_its_typed_error() {
    let gbp = cur("GBP");
    assert!(matches!(
        Money::from_minor(-1, gbp),
        Err(MoneyError::Negative { .. })
    ));
    assert!(matches!(
        Money::new(Decimal::new(-1, 2), gbp),
        Err(MoneyError::Negative { .. })
    ));
    assert!(matches!(
        Money::parse_major("1.005", gbp),
        Err(MoneyError::TooPrecise { max_places: 2, .. })
    ));
    assert!(matches!(
        Money::parse_major("1.5", cur("JPY")),
        Err(MoneyError::TooPrecise { max_places: 0, .. })
    ));
    assert!(matches!(
        Money::from_minor(MAX_MINOR_UNITS + 1, gbp),
        Err(MoneyError::OutOfRange { .. })
    ));
    assert!(matches!(
        Money::parse_major("99999999999999999999999999999999", gbp),
        Err(MoneyError::OutOfRange { .. })
    ));
    assert!(matches!(
        Money::parse_major("10000000000000.00", gbp),
        Err(MoneyError::OutOfRange { .. })
    ));
    for bad in [
        "", "-1", "+1", "1e3", "1,00", " 1", "1.", ".5", "1.2.3", "abc", "NaN",
    ] {
        assert!(
            matches!(
                Money::parse_major(bad, gbp),
                Err(MoneyError::Malformed { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        Currency::from_code("XYZ"),
        Err(MoneyError::UnknownCurrency { .. })
    ));
    assert!(matches!(
        Currency::from_code("GB"),
        Err(MoneyError::UnknownCurrency { .. })
    ));
    assert!(matches!(
        Currency::from_code("G1P"),
        Err(MoneyError::UnknownCurrency { .. })
    ));
    assert!(matches!(
        Currency::from_numeric(999),
        Err(MoneyError::UnknownCurrency { .. })
    ));
    assert!(matches!(
        Currency::new("ABC", 1, 5),
        Err(MoneyError::UnknownCurrency { .. })
    ));
    let usd = Money::from_minor(1, cur("USD")).unwrap();
    assert!(matches!(
        usd.checked_add(&Money::from_minor(1, gbp).unwrap()),
        Err(MoneyError::CurrencyMismatch { .. })
    ));
}

#[test]
fn currencies_are_found_by_code_and_number() {
    assert_eq!(cur("gbp"), Currency::GBP);
    assert_eq!(Currency::from_numeric(978).unwrap(), Currency::EUR);
    assert_eq!(Currency::from_numeric(36).unwrap().numeric_string(), "036");
    assert_eq!(Currency::new("XTS", 963, 2).unwrap().exponent(), 2);
}

#[test]
fn serde_uses_strings_and_validates() {
    let m = Money::from_minor(1250, Currency::GBP).unwrap();
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(json, r#"{"amount":"12.50","currency":"GBP"}"#);
    assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    assert!(serde_json::from_str::<Money>(r#"{"amount":"-1","currency":"GBP"}"#).is_err());
    assert!(serde_json::from_str::<Money>(r#"{"amount":"1.001","currency":"GBP"}"#).is_err());
    assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"QQQ"}"#).is_err());
}

fn currency_with_exponent() -> impl Strategy<Value = Currency> {
    prop_oneof![
        Just(Currency::JPY),
        Just(Currency::GBP),
        Just(Currency::KWD)
    ]
}

proptest! {
    #[test]
    fn minor_units_round_trip(minor in 0..=MAX_MINOR_UNITS, currency in currency_with_exponent()) {
        let money = Money::from_minor(minor, currency).unwrap();
        prop_assert_eq!(money.minor_units(), minor);
        let text = money.to_major_string();
        let parsed = Money::parse_major(&text, currency).unwrap();
        prop_assert_eq!(parsed, money);
        prop_assert_eq!(Money::new(money.amount(), currency).unwrap(), money);
        // Exactly `exponent` fraction digits.
        let places = text.split_once('.').map_or(0, |(_, f)| f.len());
        prop_assert_eq!(places, usize::from(currency.exponent()));
    }

    #[test]
    fn decimal_round_trips_through_minor_units(int in 0u64..1_000_000_000_000, frac in 0u32..1000, currency in currency_with_exponent()) {
        let e = u32::from(currency.exponent());
        let frac = frac % 10u32.pow(e);
        let text = if e == 0 { int.to_string() } else { format!("{int}.{frac:0width$}", width = e as usize) };
        let money = Money::parse_major(&text, currency).unwrap();
        prop_assert_eq!(money.to_major_string(), text);
        let back = Money::from_minor(money.minor_units(), currency).unwrap();
        prop_assert_eq!(back.amount(), money.amount());
    }

    #[test]
    fn too_many_places_is_refused_never_rounded(int in 0u64..1_000_000, extra in 1u32..9, currency in currency_with_exponent()) {
        let places = usize::from(currency.exponent()) + 1;
        let text = format!("{int}.{}{extra}", "0".repeat(places - 1));
        let is_too_precise = matches!(Money::parse_major(&text, currency), Err(MoneyError::TooPrecise { .. }));
        prop_assert!(is_too_precise);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,40}") {
        let _ = Money::parse_major(&text, Currency::GBP);
    }
}
