; A child zone served beside its parent: DS comes from the parent.
$ORIGIN served.example.com.
$TTL 600
@		IN SOA ns1 hostmaster 1 3600 900 604800 120
@		NS	ns1
ns1		A	192.0.2.220
www		A	192.0.2.221
