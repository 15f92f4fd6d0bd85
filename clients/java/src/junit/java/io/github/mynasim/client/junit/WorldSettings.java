// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client.junit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Settings of the fresh world {@link MynasimExtension} makes for a test (on the method, or the class). */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface WorldSettings {
  /** The world's starting virtual instant, ISO-8601 (e.g. {@code 2026-12-29T10:00:00+09:00}); empty: now. */
  String clock() default "";

  /** Services whose requests on the unprefixed paths go to this world. */
  String[] bind() default {};

  /** {@code [CLIENT_ID=]URL} of the API user's app in this world, as {@code --api-user}. */
  String[] apiUsers() default {};
}
