//! Positions. Phones in China often report GCJ-02 (the "Mars" datum of the
//! country's map SDKs), offset from WGS-84 by a few hundred metres; every
//! distance is measured between WGS-84 positions.

use std::f64::consts::PI;

/// Krasovsky 1940 ellipsoid, which the GCJ-02 transform is defined on.
const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;

/// The GCJ-02 offset at a WGS-84 position, in degrees (lat, lon).
fn offset(lat: f64, lon: f64) -> (f64, f64) {
    let (x, y) = (lon - 105.0, lat - 35.0);
    let wave =
        |a: f64, b: f64, c: f64, d: f64| (a * (c * PI).sin() + b * (d * PI).sin()) * 2.0 / 3.0;
    let d_lat = -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * x.abs().sqrt()
        + wave(20.0, 20.0, 6.0 * x, 2.0 * x)
        + wave(20.0, 40.0, y, y / 3.0)
        + wave(160.0, 320.0, y / 12.0, y / 30.0);
    let d_lon = 300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * x.abs().sqrt()
        + wave(20.0, 20.0, 6.0 * x, 2.0 * x)
        + wave(20.0, 40.0, x, x / 3.0)
        + wave(150.0, 300.0, x / 12.0, x / 30.0);
    let rad = lat.to_radians();
    let magic = 1.0 - EE * rad.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    (
        d_lat * 180.0 / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI),
        d_lon * 180.0 / (A / sqrt_magic * rad.cos() * PI),
    )
}

/// WGS-84 → GCJ-02.
pub fn wgs84_to_gcj02(lat: f64, lon: f64) -> (f64, f64) {
    let (dlat, dlon) = offset(lat, lon);
    (lat + dlat, lon + dlon)
}

/// GCJ-02 → WGS-84, by two fixed-point steps (error well under a metre).
pub fn gcj02_to_wgs84(lat: f64, lon: f64) -> (f64, f64) {
    let (mut wlat, mut wlon) = (lat, lon);
    for _ in 0..2 {
        let (glat, glon) = wgs84_to_gcj02(wlat, wlon);
        wlat -= glat - lat;
        wlon -= glon - lon;
    }
    (wlat, wlon)
}

/// Great-circle distance in metres.
pub fn distance_m((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    const EARTH_MEAN_RADIUS_M: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = (p2 - p1, (lon2 - lon1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_MEAN_RADIUS_M * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcj02_is_a_few_hundred_metres_off_and_converts_back() {
        // Zhangwu county, Fuxin (the examples' household).
        let wgs = (42.3853, 122.5399);
        let gcj = wgs84_to_gcj02(wgs.0, wgs.1);
        let off = distance_m(wgs, gcj);
        assert!((100.0..1000.0).contains(&off), "offset {off} m");
        let back = gcj02_to_wgs84(gcj.0, gcj.1);
        assert!(
            distance_m(wgs, back) < 0.5,
            "round trip off by {} m",
            distance_m(wgs, back)
        );
    }

    #[test]
    fn a_known_beijing_point_matches_published_gcj02() {
        // Tiananmen: WGS-84 39.9087, 116.3975 shows on GCJ-02 maps at about 39.9101, 116.4037.
        let (lat, lon) = wgs84_to_gcj02(39.9087, 116.3975);
        assert!(
            distance_m((lat, lon), (39.9101, 116.4037)) < 60.0,
            "{lat}, {lon}"
        );
    }

    #[test]
    fn haversine_distance_is_right_on_known_points() {
        let one_degree = distance_m((0.0, 0.0), (0.0, 1.0));
        assert!((one_degree - 111_195.0).abs() < 1.0, "{one_degree}");
        // Fuxin to Shenyang, about 150 km.
        let d = distance_m((42.0219, 121.6700), (41.8057, 123.4315));
        assert!((140_000.0..160_000.0).contains(&d), "{d}");
    }
}
