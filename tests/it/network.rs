//! Migration paths: widest path with the tie-breaks of docs/MODEL.md §1, least latency for latency limits.

use crate::common::TempDir;
use wattshift::io::read::read_instance;
use wattshift::scoring::network::Network;

/// Writes a 5-site instance with the given links.csv rows and returns its network.
fn network_of(links: &str) -> (wattshift::domain::instance::Instance, Network) {
    let tmp = TempDir::new("network");
    tmp.write(
        "sites.csv",
        "site,hosts,host_cpu,host_mem_gib,idle_w,peak_w,pue\n\
         a,1,8,32,100,200,1.2\nb,1,8,32,100,200,1.2\nc,1,8,32,100,200,1.2\n\
         d,1,8,32,100,200,1.2\ne,1,8,32,100,200,1.2\n",
    );
    tmp.write("vms.csv", "vm,site,cpu,mem_gib\nv,a,1,1\n");
    tmp.write(
        "links.csv",
        format!("from,to,bandwidth_gbps,latency_ms,eur_per_gb\n{links}"),
    );
    let mut windows = String::from("window,site,price_eur_mwh\n");
    for s in ["a", "b", "c", "d", "e"] {
        windows.push_str(&format!("0,{s},50\n"));
    }
    tmp.write("windows.csv", windows);
    let instance = read_instance(tmp.path()).expect("valid");
    let network = Network::new(&instance);
    (instance, network)
}

#[test]
fn the_widest_path_can_take_several_hops() {
    // A thin direct link a-e and a wide route a-b-c-e; d is a narrower detour.
    let (_, net) = network_of(
        "a,e,1,1,0\na,b,10,5,0.01\nb,c,10,5,0.02\nc,e,40,5,0.03\nb,d,5,1,0\nd,e,40,1,0\n",
    );
    let path = net.path(0, 4).expect("connected");
    assert_eq!(path.sites, vec![0, 1, 2, 4]);
    assert_eq!(path.bottleneck_gbps, 10.0);
    assert_eq!(path.latency_ms, 15.0);
    assert!((path.eur_per_gb - 0.06).abs() < 1e-12);
    // Latency limits use the least-latency path, whatever its width: a-e directly, 1 ms.
    assert_eq!(net.latency_ms(0, 4), Some(1.0));
    assert!(net.within_latency(0, 4, 1.0));
    // a-e-c is 6 ms, shorter than the wide route a-b-c (10 ms).
    assert_eq!(net.latency_ms(0, 2), Some(6.0));
    assert!(!net.within_latency(0, 2, 5.9));
    // Links are full duplex; the reverse path uses the reverse directions.
    let back = net.path(4, 0).unwrap();
    assert_eq!(back.sites, vec![4, 2, 1, 0]);
    assert!(back.links.iter().all(|l| l % 2 == 1));
}

#[test]
fn ties_go_to_least_latency_then_fewest_hops_then_site_order() {
    // Two equally wide routes a-b-e and a-c-e; the one through c has less latency.
    let (_, net) = network_of("a,b,10,5,0\nb,e,10,5,0\na,c,10,3,0\nc,e,10,3,0\n");
    assert_eq!(net.path(0, 4).unwrap().sites, vec![0, 2, 4]);
    // Equal width and latency: fewer hops wins.
    let (_, net) = network_of("a,b,10,1,0\nb,c,10,1,0\nc,e,10,1,0\na,d,10,1.5,0\nd,e,10,1.5,0\n");
    assert_eq!(net.path(0, 4).unwrap().sites, vec![0, 3, 4]);
    // Equal width, latency and hops: the smaller sequence of site positions wins.
    let (_, net) = network_of("a,c,10,1,0\nc,e,10,1,0\na,b,10,1,0\nb,e,10,1,0\n");
    assert_eq!(net.path(0, 4).unwrap().sites, vec![0, 1, 4]);
    assert_eq!(net.path(4, 0).unwrap().sites, vec![4, 1, 0]);
}

#[test]
fn unconnected_sites_have_no_path() {
    let (_, net) = network_of("a,b,10,1,0\nc,d,10,1,0\n");
    assert!(net.path(0, 2).is_none());
    assert_eq!(net.latency_ms(0, 2), None);
    assert!(!net.within_latency(0, 2, 1e9));
    assert_eq!(net.latency_ms(3, 3), Some(0.0));
}
