package org.havirt.config.ast;

import org.havirt.config.Position;

/** An attribute value as written: a scalar, a list (vector or keylist) or an association. */
public sealed interface Value permits Scalar, ListValue, AssocValue {
  /** Where the value starts. */
  Position position();

  /** Returns a short name of the value's shape for messages: scalar, list or association. */
  String shape();
}
