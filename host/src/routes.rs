//! HTTP route matching with Spin's rules.
//!
//! Spin matches with the `routefinder` crate, so we do too: exact routes beat wildcards, the
//! longest wildcard prefix wins, `/...` is a trailing wildcard and `:name` captures a segment.
//! The match also yields the values of Spin's `spin-*` request headers.

use anyhow::{Result, anyhow};
use routefinder::Router;

use crate::manifest::HttpRoute;

/// What a request matched: the component and the pieces Spin puts in headers.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteMatch {
    pub component: String,
    /// The route as written in the manifest, e.g. `/api/...` (`spin-matched-route`).
    pub matched_route: String,
    /// The route with any trailing `/...` removed (`spin-component-route`).
    pub component_route: String,
    /// The part of the path after the matched prefix (`spin-path-info`).
    pub path_info: String,
    /// `:name` captures, sent as `spin-path-match-<name>`.
    pub params: Vec<(String, String)>,
}

pub struct RouteTable {
    router: Router<usize>,
    routes: Vec<HttpRoute>,
}

impl RouteTable {
    pub fn new(routes: &[HttpRoute]) -> Result<Self> {
        let mut router = Router::new();
        for (i, r) in routes.iter().enumerate() {
            router
                .add(to_routefinder(&r.route), i)
                .map_err(|e| anyhow!("trigger.http[{}].route {:?}: {e}", r.index, r.route))?;
        }
        Ok(Self {
            router,
            routes: routes.to_vec(),
        })
    }

    /// Finds the component for a request path (without query).
    pub fn find(&self, path: &str) -> Option<RouteMatch> {
        let m = self.router.best_match(path)?;
        let route = &self.routes[*m.handler()];
        let captures = m.captures();
        let params: Vec<(String, String)> = captures
            .params()
            .iter()
            .map(|c| (c.name().to_string(), c.value().to_string()))
            .collect();
        let component_route = route
            .route
            .strip_suffix("/...")
            .unwrap_or(&route.route)
            .to_string();
        let is_wildcard = route.route.ends_with("/...");
        let path_info = if !is_wildcard {
            String::new()
        } else if params.is_empty() {
            path.strip_prefix(component_route.as_str())
                .unwrap_or("")
                .to_string()
        } else {
            match captures.wildcard() {
                Some(w) if !w.is_empty() => format!("/{w}"),
                _ => String::new(),
            }
        };
        Some(RouteMatch {
            component: route.component.clone(),
            matched_route: route.route.clone(),
            component_route,
            path_info,
            params,
        })
    }
}

/// Spin writes a trailing wildcard as `/...`; routefinder as `/*`.
fn to_routefinder(route: &str) -> String {
    match route.strip_suffix("...") {
        Some(prefix) => format!("{prefix}*"),
        None => route.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(routes: &[(&str, &str)]) -> RouteTable {
        let routes: Vec<HttpRoute> = routes
            .iter()
            .enumerate()
            .map(|(index, (r, c))| HttpRoute {
                route: r.to_string(),
                component: c.to_string(),
                index,
            })
            .collect();
        RouteTable::new(&routes).unwrap()
    }

    #[test]
    fn exact_beats_wildcard_and_longest_prefix_wins() {
        let t = table(&[
            ("/...", "root"),
            ("/c/...", "c"),
            ("/c/exact", "exact"),
            ("/c/deeper/...", "deeper"),
        ]);
        assert_eq!(t.find("/c/exact").unwrap().component, "exact");
        assert_eq!(t.find("/c/exact/more").unwrap().component, "c");
        let m = t.find("/c/deeper/x/y").unwrap();
        assert_eq!(m.component, "deeper");
        assert_eq!(m.path_info, "/x/y");
        assert_eq!(m.component_route, "/c/deeper");
        assert_eq!(t.find("/other").unwrap().component, "root");
        assert_eq!(t.find("/other").unwrap().path_info, "/other");
        assert_eq!(t.find("/c").unwrap().component, "c");
        assert_eq!(t.find("/c").unwrap().path_info, "");
    }

    #[test]
    fn no_match_without_catch_all() {
        let t = table(&[("/hello", "h")]);
        assert!(t.find("/nope").is_none());
        assert_eq!(t.find("/hello").unwrap().path_info, "");
    }

    #[test]
    fn named_segments_are_captured() {
        let t = table(&[("/users/:id/...", "u")]);
        let m = t.find("/users/42/posts").unwrap();
        assert_eq!(m.params, vec![("id".to_string(), "42".to_string())]);
        assert_eq!(m.path_info, "/posts");
    }
}
