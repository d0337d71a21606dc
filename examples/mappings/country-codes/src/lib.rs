//! Example tenant mapping: normalises country codes and tags orders with a sales channel.
