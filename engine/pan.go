package engine

// A full card number (PAN) is 13 to 19 digits passing the Luhn check. The
// engine refuses any input that holds one: it keeps tokens, BINs and last4.

// hasCardNumber reports whether b holds a run of 13 to 19 digits, possibly
// grouped by single spaces or dashes, that passes the Luhn check.
func hasCardNumber[T string | []byte](b T) bool {
	var digits [19]byte
	n, i := 0, 0
	flush := func() bool {
		ok := n >= 13 && n <= 19 && luhn(digits[:n])
		n = 0
		return ok
	}
	over := false // the current run is longer than 19 digits
	for i = 0; i < len(b); i++ {
		if n == 0 && !over {
			// Between runs only a digit matters: skip to the next one.
			for i < len(b) && (b[i] < '0' || b[i] > '9') {
				i++
			}
			if i == len(b) {
				return false
			}
		}
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if n < len(digits) {
				digits[n] = c - '0'
				n++
			} else {
				over = true
			}
		case (c == ' ' || c == '-') && n > 0 && i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9':
			// a separator inside a grouped number
		default:
			if over {
				n, over = 0, false
			} else if flush() {
				return true
			}
		}
	}
	return !over && flush()
}

func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i])
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// cardNumberField returns the first free-text field of ev that holds a full
// card number, or "".
func cardNumberField(ev *Event) string {
	fields := []struct{ name, value string }{
		{"id", ev.ID}, {"payer.id", ev.Payer.ID}, {"payer.name", ev.Payer.Name},
		{"beneficiary.msisdn", ev.Beneficiary.MSISDN}, {"beneficiary.name", ev.Beneficiary.Name},
		{"beneficiary.card_masked", ev.Beneficiary.CardMasked}, {"beneficiary.account", ev.Beneficiary.Account},
		{"device_id", ev.DeviceID},
	}
	if in := ev.Instrument; in != nil {
		fields = append(fields, struct{ name, value string }{"instrument.token", in.Token})
	}
	for _, f := range fields {
		if hasCardNumber(f.value) {
			return f.name
		}
	}
	return ""
}
