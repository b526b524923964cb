#!/bin/sh
# A private CA for the plant's broker, and the broker's certificate signed by it (openssl only).
#   deploy/mosquitto/make-ca.sh DIR BROKER_NAME [BROKER_IP]
# writes DIR/ca.pem (give it to gateway and ingest: broker.tls.ca_file), DIR/ca.key (keep it
# offline), DIR/broker.pem and DIR/broker.key (mosquitto: certfile, keyfile). The broker's name
# (and IP) go into its subjectAltName: clients check it against the host in broker.url.
# Certificates last DAYS days (default 825); renew before then. Nothing here talks to a network.
set -eu
dir=${1:?usage: make-ca.sh DIR BROKER_NAME [BROKER_IP]}
name=${2:?usage: make-ca.sh DIR BROKER_NAME [BROKER_IP]}
ip=${3:-}
days=${DAYS:-825}
mkdir -p "$dir"
umask 077
san="DNS:$name"
[ -n "$ip" ] && san="$san,IP:$ip"
openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days "$days" -subj "/CN=PlantMeter broker CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$name" \
    -keyout "$dir/broker.key" -out "$dir/broker.csr" 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > "$dir/broker.ext"
openssl x509 -req -sha256 -days "$days" -in "$dir/broker.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -extfile "$dir/broker.ext" -out "$dir/broker.pem" 2>/dev/null
rm -f "$dir/broker.csr" "$dir/broker.ext"
chmod 644 "$dir/ca.pem" "$dir/broker.pem"
echo "CA: $dir/ca.pem  broker: $dir/broker.pem $dir/broker.key ($san, $days days)"
