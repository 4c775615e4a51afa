# tenure-syncd extras: the load benchmark (bench/syncd.sh).
.PHONY: bench-syncd
bench-syncd: all $(B)/tests/syncd_load
	TENURE_BUILD=$(B) bash bench/syncd.sh
